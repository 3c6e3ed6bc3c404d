/* DS603 knowledge check: questions, answers and explanations (hand-written learning material, Thai first,
   English alongside). Everything after "=" is strict JSON; quiz.js renders it, tests read it. */
window.SAMATTHA_QUIZ = {
  "packageId": "dg-opsr-023-ds603",
  "activityId": "https://samattha.dev/content/dg-opsr-023/ds603",
  "unit": {
    "code": "DG-OPSR-023",
    "id": "https://samattha.dev/content/dg-opsr-023",
    "title": {
      "th-TH": "ปรับปรุงงานบริการดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง",
      "en-US": "Improve digital services continuously"
    }
  },
  "element": {
    "code": "DS603",
    "title": {
      "th-TH": "ถอดองค์ความรู้เพื่อปรับปรุงคุณภาพการให้บริการ",
      "en-US": "Capture knowledge to improve service quality"
    }
  },
  "criteria": [
    "DS603.01",
    "DS603.02",
    "DS603.03"
  ],
  "passMark": 0.8,
  "title": {
    "th-TH": "แบบทดสอบความรู้ DS603: ถอดองค์ความรู้เพื่อปรับปรุงคุณภาพการให้บริการ",
    "en-US": "Knowledge check DS603: Capture knowledge to improve service quality"
  },
  "description": {
    "th-TH": "แบบทดสอบความรู้ 6 ข้อ ตามเกณฑ์การปฏิบัติงาน DS603.01–DS603.03 ของหน่วยสมรรถนะ DG-OPSR-023 เกณฑ์ผ่าน: ตอบถูกอย่างน้อยร้อยละ 80 (5 จาก 6 ข้อ)",
    "en-US": "A 6-question knowledge check on performance criteria DS603.01–DS603.03 of unit DG-OPSR-023. Pass mark: at least 80% correct (5 of 6)."
  },
  "questions": [
    {
      "id": "q1",
      "type": "choice",
      "criteria": [
        "DS603.01"
      ],
      "topic": {
        "th-TH": "มิติของคุณภาพบริการ",
        "en-US": "Dimensions of service quality"
      },
      "text": {
        "th-TH": "ตามขอบเขตของหน่วยสมรรถนะนี้ คุณภาพการให้บริการดิจิทัลพิจารณาได้หลายมิติ ข้อใดครบถ้วนที่สุด",
        "en-US": "According to this unit's range statement, the quality of a digital service has several dimensions. Which answer is the most complete?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "ความสวยงามของหน้าเว็บไซต์",
            "en-US": "How attractive the website looks"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "เวลา ทรัพยากรที่ใช้ ระดับความพึงพอใจของผู้รับบริการ และสัมฤทธิผลของการให้บริการ",
            "en-US": "Time, resources used, the satisfaction of the people served, and how well the service achieves its purpose"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "จำนวนผู้เข้าชมเว็บไซต์ต่อวัน",
            "en-US": "The number of website visitors per day"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "งบประมาณที่ใช้พัฒนาระบบ",
            "en-US": "The budget spent on building the system"
          }
        }
      ],
      "correct": "b",
      "explanation": {
        "th-TH": "ขอบเขตของหน่วยสมรรถนะระบุว่าคุณภาพของบริการกำหนดได้หลายมิติ ได้แก่ เวลา ทรัพยากรที่ใช้ ระดับความพึงพอใจของผู้รับบริการ และสัมฤทธิผลของการให้บริการ โดยวิเคราะห์จากข้อมูลของระบบในแต่ละขั้นตอนย่อยของกระบวนงาน ตัวเลือกอื่นเป็นเพียงตัวเลขเดี่ยวที่ไม่บอกคุณภาพโดยรวม",
        "en-US": "The range statement lists several dimensions of service quality: time, resources used, the satisfaction of the people served, and how well the service achieves its purpose, analysed from system data at each step of the service process. The other options are single figures that say little about overall quality."
      }
    },
    {
      "id": "q2",
      "type": "choice",
      "criteria": [
        "DS603.01"
      ],
      "topic": {
        "th-TH": "การประมวลผลตามข้อตกลงระดับการให้บริการ (SLA)",
        "en-US": "Measuring against a service-level agreement (SLA)"
      },
      "text": {
        "th-TH": "SLA ของบริการหนึ่งกำหนดให้พิจารณาคำขอให้เสร็จภายใน 3 วันทำการ เดือนนี้มีคำขอ 400 รายการ และพิจารณาเสร็จภายใน 3 วันทำการ 340 รายการ ข้อใดถูกต้อง",
        "en-US": "A service's SLA says applications are decided within 3 working days. This month there were 400 applications, and 340 were decided within 3 working days. Which statement is correct?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "คำขอร้อยละ 15 เป็นไปตาม SLA",
            "en-US": "15% of applications met the SLA"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "คำขอร้อยละ 34 เป็นไปตาม SLA",
            "en-US": "34% of applications met the SLA"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "คำขอร้อยละ 85 เป็นไปตาม SLA",
            "en-US": "85% of applications met the SLA"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "บรรลุ SLA ครบร้อยละ 100 เพราะคำขอส่วนใหญ่เสร็จตามกำหนด",
            "en-US": "The SLA was fully met, because most applications were on time"
          }
        }
      ],
      "correct": "c",
      "explanation": {
        "th-TH": "340 ÷ 400 = 0.85 หรือร้อยละ 85 อีกร้อยละ 15 (60 รายการ) เกินกำหนด ขั้นต่อไปคือเทียบกับเป้าหมายที่ตกลงไว้ (เช่น ร้อยละ 95) เทียบกับเดือนก่อน ๆ และกับบริการเดียวกันของหน่วยงานอื่น แล้วหาว่าคำขอที่ล่าช้าติดอยู่ที่ขั้นตอนใด",
        "en-US": "340 ÷ 400 = 0.85, i.e. 85%; the other 15% (60 applications) were late. Next, compare this with the agreed target (say 95%), with earlier months and with the same service at other agencies, and find the step where the late applications got stuck."
      }
    },
    {
      "id": "q3",
      "type": "true-false",
      "criteria": [
        "DS603.02"
      ],
      "topic": {
        "th-TH": "ข้อเสนอแนะที่อ้างอิงหลักฐาน",
        "en-US": "Evidence-based design recommendations"
      },
      "text": {
        "th-TH": "ข้อเสนอแนะในการปรับปรุงองค์ประกอบการออกแบบบริการ ควรอ้างอิงหลักฐานจากผลการประมวลคุณภาพบริการ เช่น ขั้นตอนที่ผู้ใช้ออกจากระบบกลางคันมากที่สุด",
        "en-US": "Recommendations for changing the design components of a service should cite evidence from the service-quality analysis, such as the step where most users abandon the process."
      },
      "correct": "true",
      "explanation": {
        "th-TH": "ข้อความนี้เป็นจริง เมื่อข้อเสนอแนะผูกกับข้อมูล (เช่น ผู้ใช้ร้อยละ 40 ออกจากระบบที่ขั้นตอนแนบเอกสาร) จะรู้ว่าควรปรับองค์ประกอบใดก่อน เช่น แบบฟอร์ม ขั้นตอน หรือช่องทาง และวัดผลหลังปรับปรุงได้ด้วยตัวชี้วัดเดิม",
        "en-US": "True. When a recommendation is tied to data (for example, 40% of users drop out at the document-upload step), you know which component to change first, such as a form, a step or a channel, and you can measure the result afterwards with the same indicator."
      }
    },
    {
      "id": "q4",
      "type": "choice",
      "criteria": [
        "DS603.02"
      ],
      "topic": {
        "th-TH": "ข้อเสนอที่สอดคล้องกับสถาปัตยกรรมองค์กร",
        "en-US": "Recommendations that fit the enterprise architecture"
      },
      "text": {
        "th-TH": "ก่อนเสนอให้เพิ่มขั้นตอนยืนยันตัวตนแบบใหม่ในบริการ เหตุใดจึงควรพิจารณาสถาปัตยกรรมองค์กร (Enterprise Architecture) ของหน่วยงานด้วย",
        "en-US": "Before recommending a new identity-verification step for a service, why should you also consider the agency's enterprise architecture?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "เพื่อให้ข้อเสนอสอดคล้องกับกระบวนงาน ข้อมูล และระบบที่ใช้ร่วมกันอยู่ และนำบริการกลางที่มีอยู่แล้วมาใช้ซ้ำได้ แทนการสร้างระบบซ้ำซ้อน",
            "en-US": "So that the proposal fits the shared processes, data and systems, and reuses existing shared services instead of building a duplicate"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "เพราะสถาปัตยกรรมองค์กรเป็นตัวกำหนดสีและรูปแบบของหน้าเว็บไซต์",
            "en-US": "Because the enterprise architecture sets the website's colours and layout"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "เพราะกฎหมายห้ามเปลี่ยนแปลงบริการที่เปิดใช้งานแล้ว",
            "en-US": "Because the law forbids changing a service once it is live"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "ไม่จำเป็น เพราะแต่ละบริการควรมีระบบของตนเองแยกกัน",
            "en-US": "It is not needed; each service should have its own separate system"
          }
        }
      ],
      "correct": "a",
      "explanation": {
        "th-TH": "สถาปัตยกรรมองค์กรแสดงความเชื่อมโยงระหว่างกระบวนงาน ข้อมูล แอปพลิเคชัน และเทคโนโลยีของหน่วยงาน ข้อเสนอที่สอดคล้องกับสถาปัตยกรรมจะนำไปใช้ได้จริง เชื่อมต่อกับระบบอื่นได้ และไม่สร้างระบบหรือข้อมูลซ้ำซ้อน เช่น ใช้ระบบยืนยันตัวตนกลางที่มีอยู่แล้ว",
        "en-US": "Enterprise architecture shows how the agency's processes, data, applications and technology fit together. A proposal that fits it can actually be implemented, connects to other systems and avoids duplicate systems or data, for example by using the existing central identity-verification service."
      }
    },
    {
      "id": "q5",
      "type": "choice",
      "criteria": [
        "DS603.03"
      ],
      "topic": {
        "th-TH": "การจัดเก็บและแลกเปลี่ยนความรู้",
        "en-US": "Storing and sharing knowledge"
      },
      "text": {
        "th-TH": "วิธีใดช่วยถ่ายทอดองค์ความรู้ที่ได้จากการปรับปรุงบริการ ให้ทีมอื่นและหน่วยงานอื่นนำไปใช้ได้ดีที่สุด",
        "en-US": "Which is the best way to pass on what was learned from improving a service, so that other teams and agencies can use it?"
      },
      "choices": [
        {
          "id": "a",
          "text": {
            "th-TH": "ให้เจ้าหน้าที่ผู้รับผิดชอบจำไว้ และตอบเมื่อมีผู้ถาม",
            "en-US": "Let the responsible officer remember it and answer when asked"
          }
        },
        {
          "id": "b",
          "text": {
            "th-TH": "ส่งไฟล์นำเสนอทางอีเมลให้ผู้บริหารเท่านั้น",
            "en-US": "Email the slides to executives only"
          }
        },
        {
          "id": "c",
          "text": {
            "th-TH": "เก็บรายงานไว้ในเครื่องคอมพิวเตอร์ของทีม",
            "en-US": "Keep the report on the team's own computer"
          }
        },
        {
          "id": "d",
          "text": {
            "th-TH": "สรุปบทเรียนที่ได้รับ (ปัญหา สิ่งที่ทำ และผลลัพธ์พร้อมตัวเลข) เก็บในคลังความรู้ที่ค้นหาได้ และจัดเวทีแลกเปลี่ยนเรียนรู้",
            "en-US": "Write up the lessons learned (the problem, what was done, and the results with figures), store them in a searchable knowledge repository, and hold knowledge-sharing sessions"
          }
        }
      ],
      "correct": "d",
      "explanation": {
        "th-TH": "การจัดการความรู้ที่ได้ผลต้องมีทั้งการจัดเก็บและการแลกเปลี่ยน คือบันทึกความรู้อย่างเป็นระบบให้ค้นหาได้ และสร้างโอกาสให้ผู้ปฏิบัติงานได้แลกเปลี่ยนกัน เช่น ชุมชนนักปฏิบัติ (CoP) ความรู้ที่อยู่กับคนคนเดียวหรืออยู่ในเครื่องของทีมจะสูญหายไปเมื่อมีการย้ายงาน",
        "en-US": "Effective knowledge management needs both storing and sharing: record the knowledge systematically so it can be found, and give practitioners chances to exchange it, for example in a community of practice (CoP). Knowledge held by one person or on one team's computer is lost when people move on."
      }
    },
    {
      "id": "q6",
      "type": "true-false",
      "criteria": [
        "DS603.03"
      ],
      "topic": {
        "th-TH": "การถอดความรู้ฝังลึก",
        "en-US": "Capturing tacit knowledge"
      },
      "text": {
        "th-TH": "ความรู้ฝังลึก (tacit knowledge) ของเจ้าหน้าที่ที่มีประสบการณ์ เช่น วิธีช่วยผู้สูงอายุกรอกแบบฟอร์มออนไลน์ ไม่จำเป็นต้องถอดเป็นเอกสาร เพราะถ่ายทอดให้ผู้อื่นไม่ได้",
        "en-US": "The tacit knowledge of experienced staff, such as how to help older people fill in an online form, need not be captured, because it cannot be passed on to others."
      },
      "correct": "false",
      "explanation": {
        "th-TH": "ข้อความนี้เป็นเท็จ ความรู้ฝังลึกถอดออกมาได้ด้วยการสัมภาษณ์ การสังเกตการทำงาน และการเล่าเรื่อง แล้วบันทึกเป็นความรู้ชัดแจ้ง (explicit knowledge) เช่น คู่มือ คำถามที่พบบ่อย หรือคลิปสาธิต การถอดและถ่ายทอดความรู้ลักษณะนี้คือหัวใจของเกณฑ์ DS603.03",
        "en-US": "False. Tacit knowledge can be drawn out through interviews, observing the work and storytelling, then recorded as explicit knowledge such as a guide, an FAQ or a demonstration video. Capturing and passing on knowledge like this is the heart of criterion DS603.03."
      }
    }
  ]
};
