/* DS601 knowledge check: questions, answers and explanations (hand-written learning material, Thai first,
   English alongside). Everything after "=" is strict JSON; quiz.js renders it, tests read it. */
window.SAMATTHA_QUIZ = {
  "packageId": "dg-opsr-023-ds601",
  "activityId": "https://samattha.dev/content/dg-opsr-023/ds601",
  "unit": {
    "code": "DG-OPSR-023",
    "id": "https://samattha.dev/content/dg-opsr-023",
    "title": {
      "th-TH": "ปรับปรุงงานบริการดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง",
      "en-US": "Improve digital services continuously"
    }
  },
  "element": {
    "code": "DS601",
    "title": {
      "th-TH": "ประเมินความคิดเห็นของผู้ใช้บริการ",
      "en-US": "Evaluate service users' opinions"
    }
  },
  "criteria": [
    "DS601.01",
    "DS601.02",
    "DS601.03"
  ],
  "passMark": 0.8,
  "title": {
    "th-TH": "แบบทดสอบความรู้ DS601: ประเมินความคิดเห็นของผู้ใช้บริการ",
    "en-US": "Knowledge check DS601: Evaluate service users' opinions"
  },
  "description": {
    "th-TH": "แบบทดสอบความรู้ 6 ข้อ ตามเกณฑ์การปฏิบัติงาน DS601.01–DS601.03 ของหน่วยสมรรถนะ DG-OPSR-023 เกณฑ์ผ่าน: ตอบถูกอย่างน้อยร้อยละ 80 (5 จาก 6 ข้อ)",
    "en-US": "A 6-question knowledge check on performance criteria DS601.01–DS601.03 of unit DG-OPSR-023. Pass mark: at least 80% correct (5 of 6)."
  },
  "questions": [
    {
      "id": "q1",
      "type": "choice",
      "criteria": [
        "DS601.01"
      ],
      "topic": {
        "th-TH": "การออกแบบตัววัดด้วย GQM",
        "en-US": "Designing measures with GQM"
      },
      "text": {
        "th-TH": "เมื่อใช้เครื่องมือ GQM (Goal–Question–Metric) ออกแบบการประเมินบริการ ควรเริ่มจากขั้นตอนใด",
        "en-US": "When you design a service evaluation with GQM (Goal–Question–Metric), where do you start?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "เลือกตัววัดที่เก็บข้อมูลจากระบบได้ง่ายที่สุดก่อน",
            "en-US": "Pick the metrics that are easiest to collect from the system"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "กำหนดเป้าหมายของการประเมินให้ชัดเจน แล้วจึงตั้งคำถามและเลือกตัววัด",
            "en-US": "Set a clear goal for the evaluation, then derive the questions and choose the metrics"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "เก็บข้อมูลทุกอย่างที่ระบบบันทึกได้ไว้ก่อน แล้วค่อยหาคำถามภายหลัง",
            "en-US": "Collect everything the system can record, and look for questions later"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "ตั้งค่าเป้าหมายของตัวชี้วัดทุกตัวให้สูงที่สุดไว้ก่อน",
            "en-US": "Set the highest possible target for every indicator first"
          }
        }
      ],
      "correct": "b",
      "explanation": {
        "th-TH": "GQM ทำงานจากบนลงล่าง เริ่มจากเป้าหมาย (Goal) ของการประเมิน แตกเป็นคำถาม (Question) ที่ต้องตอบเพื่อรู้ว่าบรรลุเป้าหมายหรือไม่ แล้วจึงกำหนดตัววัด (Metric) ที่ตอบคำถามนั้น ตัววัดที่ไม่เชื่อมโยงกับเป้าหมายมักกลายเป็นข้อมูลที่เก็บไว้แต่ไม่ได้ใช้ และวิธีวัดต้องเหมาะกับเวลา งบประมาณ คน และเทคโนโลยีที่มี",
        "en-US": "GQM works top-down: start from the goal of the evaluation, break it into the questions you must answer to know whether the goal is met, then define the metrics that answer each question. Metrics not tied to a goal tend to become data that is collected but never used, and the way you measure must fit the time, budget, people and technology available."
      }
    },
    {
      "id": "q2",
      "type": "choice",
      "criteria": [
        "DS601.01"
      ],
      "topic": {
        "th-TH": "การกำหนดกลุ่มผู้ใช้",
        "en-US": "Defining user groups"
      },
      "text": {
        "th-TH": "หน่วยงานจะประเมินบริการยื่นคำขอใบอนุญาตออนไลน์ ข้อใดเป็นการกำหนดกลุ่มผู้ใช้ที่เหมาะสมที่สุด",
        "en-US": "An agency is evaluating its online licence application service. Which is the most suitable way to define the user groups?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "ถือว่าผู้ใช้ทุกคนเป็นกลุ่มเดียวกัน เพื่อให้สรุปผลได้ง่าย",
            "en-US": "Treat all users as one group so the results are easy to summarise"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ประเมินเฉพาะเจ้าหน้าที่ของหน่วยงาน เพราะติดต่อได้สะดวก",
            "en-US": "Survey only the agency's own staff, because they are easy to reach"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "เลือกเฉพาะผู้ใช้ที่เคยชมเชยบริการ",
            "en-US": "Choose only users who have praised the service"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "แบ่งตามลักษณะการใช้บริการ เช่น ประชาชนที่ยื่นคำขอครั้งแรก ผู้ประกอบการที่ยื่นเป็นประจำ และเจ้าหน้าที่ผู้พิจารณาคำขอ",
            "en-US": "Group users by how they use the service, e.g. citizens applying for the first time, businesses that apply regularly, and the officers who review applications"
          }
        }
      ],
      "correct": "d",
      "explanation": {
        "th-TH": "ผู้ใช้แต่ละกลุ่มมีความต้องการและพบปัญหาต่างกัน การแบ่งกลุ่มให้ครอบคลุมทั้งผู้รับบริการและผู้ปฏิบัติงานทำให้เห็นปัญหาของแต่ละกลุ่ม และเลือกตัวแบบการประเมินให้เหมาะกับแต่ละกลุ่มได้ ส่วนการเลือกเฉพาะกลุ่มที่ติดต่อสะดวกหรือกลุ่มที่พอใจอยู่แล้วทำให้ผลการประเมินลำเอียง",
        "en-US": "Each group has different needs and meets different problems. Groups that cover both the people served and the staff who run the service reveal each group's problems and let you choose an evaluation model that fits each one. Picking only users who are easy to reach or already satisfied biases the results."
      }
    },
    {
      "id": "q3",
      "type": "choice",
      "criteria": [
        "DS601.02"
      ],
      "topic": {
        "th-TH": "การรวบรวมความคิดเห็นของผู้ใช้",
        "en-US": "Gathering user feedback"
      },
      "text": {
        "th-TH": "วิธีใดเหมาะสมที่สุดในการรวบรวมความคิดเห็นของผู้ใช้บริการออนไลน์",
        "en-US": "Which is the most suitable way to gather feedback from the users of an online service?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "แบบสอบถามสั้น ๆ ที่แสดงทันทีหลังผู้ใช้ทำรายการเสร็จ มีทั้งช่องให้คะแนนและช่องแสดงความคิดเห็น",
            "en-US": "A short survey shown right after the user finishes a transaction, with both a rating and a comment box"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "แบบสอบถาม 60 ข้อที่ส่งทางไปรษณีย์ปีละครั้ง",
            "en-US": "A 60-item questionnaire sent by post once a year"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "สอบถามความเห็นจากผู้บริหารของหน่วยงานแทนผู้ใช้",
            "en-US": "Asking the agency's executives instead of the users"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "รอให้ผู้ใช้ส่งเรื่องร้องเรียนเข้ามาเองเท่านั้น",
            "en-US": "Only waiting for users to send in complaints"
          }
        }
      ],
      "correct": "a",
      "explanation": {
        "th-TH": "การถามทันทีหลังใช้บริการได้ความเห็นที่ตรงกับประสบการณ์จริงขณะที่ผู้ใช้ยังจำได้ และมีอัตราการตอบกลับสูง อีกทั้งได้ทั้งข้อมูลเชิงปริมาณ (คะแนน) และข้อมูลเชิงคุณภาพ (ความคิดเห็น) ส่วนการรอเรื่องร้องเรียนจะได้ยินเฉพาะเสียงของผู้ที่ไม่พอใจมาก",
        "en-US": "Asking right after use captures feedback while the experience is fresh and gets a high response rate, and it yields both quantitative data (ratings) and qualitative data (comments). Waiting for complaints only hears from the most dissatisfied users."
      }
    },
    {
      "id": "q4",
      "type": "true-false",
      "criteria": [
        "DS601.02"
      ],
      "topic": {
        "th-TH": "แหล่งข้อมูลสำหรับการวิเคราะห์",
        "en-US": "Where analysis data should come from"
      },
      "text": {
        "th-TH": "ข้อมูลที่ใช้วิเคราะห์การให้บริการดิจิทัล ควรให้เจ้าหน้าที่จดด้วยมือแล้วนำมาบันทึกเข้าระบบอีกครั้ง เพราะจะได้ข้อมูลที่ละเอียดกว่าข้อมูลจากระบบ",
        "en-US": "Data for analysing a digital service should be written down by staff and then keyed into a system again, because it is more detailed than the data the system records."
      },
      "correct": "false",
      "explanation": {
        "th-TH": "ข้อความนี้เป็นเท็จ ข้อมูลที่ใช้วิเคราะห์ควรได้มาจากระบบบริการดิจิทัลโดยตรง การจดแล้วบันทึกซ้ำทำให้งานซ้ำซ้อน ล่าช้า และเพิ่มโอกาสผิดพลาด ควรออกแบบระบบให้บันทึกข้อมูลที่ต้องใช้วัดไว้ตั้งแต่แรก",
        "en-US": "False. Analysis data should come straight from the digital service system. Writing data down and keying it in again duplicates work, adds delay and invites errors; design the system to record the data you need to measure in the first place."
      }
    },
    {
      "id": "q5",
      "type": "choice",
      "criteria": [
        "DS601.03"
      ],
      "topic": {
        "th-TH": "ข้อมูลเชิงปริมาณและเชิงคุณภาพ",
        "en-US": "Quantitative and qualitative data"
      },
      "text": {
        "th-TH": "ข้อใดเป็นข้อมูลเชิงคุณภาพ (qualitative data)",
        "en-US": "Which of these is qualitative data?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "เวลาเฉลี่ยในการยื่นคำขอ 12 นาที",
            "en-US": "An average of 12 minutes to submit an application"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ร้อยละ 85 ของผู้ตอบแบบสอบถามให้คะแนนความพึงพอใจ 4 หรือ 5",
            "en-US": "85% of respondents gave a satisfaction score of 4 or 5"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "ความคิดเห็นที่ผู้ใช้เขียนว่า “ขั้นตอนแนบไฟล์สับสน ไม่รู้ว่าต้องใช้ไฟล์ชนิดใด”",
            "en-US": "A user's comment: “The file upload step is confusing; I couldn't tell which file type was needed.”"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "คำขอ 230 รายการถูกส่งกลับให้แก้ไข",
            "en-US": "230 applications were sent back for correction"
          }
        }
      ],
      "correct": "c",
      "explanation": {
        "th-TH": "ข้อมูลเชิงคุณภาพเป็นข้อความหรือคำบรรยายที่อธิบายว่า “ทำไม” หรือ “อย่างไร” วิเคราะห์โดยจัดกลุ่มประเด็นที่พบซ้ำ ส่วนตัวเลือกอื่นเป็นข้อมูลเชิงปริมาณที่บอกว่า “เท่าใด” การวิเคราะห์ที่ดีใช้ทั้งสองแบบร่วมกัน เช่น ตัวเลขชี้ว่ามีคำขอถูกส่งกลับจำนวนมาก ส่วนความคิดเห็นช่วยอธิบายสาเหตุ",
        "en-US": "Qualitative data is text or description that explains why or how; you analyse it by grouping recurring themes. The other options are quantitative data that say how much or how many. Good analysis uses both: the numbers show that many applications are sent back, and the comments help explain why."
      }
    },
    {
      "id": "q6",
      "type": "choice",
      "criteria": [
        "DS601.03",
        "DS601.01"
      ],
      "topic": {
        "th-TH": "การสรุปผลการประเมิน",
        "en-US": "Summarising evaluation results"
      },
      "text": {
        "th-TH": "ผลการประเมินพบว่าความพึงพอใจเฉลี่ยรวมเท่ากับ 4.2 จาก 5 แต่กลุ่มผู้สูงอายุให้คะแนนเฉลี่ยเพียง 2.9 ควรสรุปผลอย่างไร",
        "en-US": "An evaluation finds an overall average satisfaction of 4.2 out of 5, but older users average only 2.9. How should you summarise the results?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "บริการโดยรวมดีแล้ว ไม่จำเป็นต้องปรับปรุง",
            "en-US": "The service is good overall; no improvement is needed"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ตัดคะแนนของกลุ่มผู้สูงอายุออก เพราะเป็นค่าผิดปกติ",
            "en-US": "Drop the older users' scores as outliers"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "รายงานผลแยกตามกลุ่มผู้ใช้ และวิเคราะห์หาสาเหตุที่กลุ่มผู้สูงอายุพึงพอใจต่ำ",
            "en-US": "Report the results by user group and analyse why older users are less satisfied"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "รายงานเฉพาะค่าเฉลี่ยรวม เพราะผู้บริหารต้องการตัวเลขเดียว",
            "en-US": "Report only the overall average, because executives want a single number"
          }
        }
      ],
      "correct": "c",
      "explanation": {
        "th-TH": "ค่าเฉลี่ยรวมอาจบดบังปัญหาของกลุ่มย่อย จึงควรสรุปผลแยกตามกลุ่มผู้ใช้ที่กำหนดไว้ตั้งแต่ต้น แล้ววิเคราะห์หาสาเหตุ เช่น ตัวอักษรเล็กเกินไปหรือขั้นตอนยืนยันตัวตนซับซ้อน ผลการวิเคราะห์เช่นนี้เป็นจุดเริ่มต้นของข้อเสนอแนะเพื่อปรับปรุงบริการ",
        "en-US": "An overall average can hide a subgroup's problems, so summarise by the user groups defined at the start and look for the causes, such as text that is too small or a complicated identity-verification step. Findings like this are where recommendations for improvement begin."
      }
    }
  ]
};
